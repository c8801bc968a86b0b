"""No views: django-tenants' multi-type settings name a URLconf per tenant type."""
urlpatterns = []

"""The tenant and domain models (django-tenants' mixins): shared, in public only."""
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Client(TenantMixin):
    name = models.CharField(max_length=100)
    created_on = models.DateField(auto_now_add=True)

    # saving a new Client creates its schema and runs migrate_schemas on it
    auto_create_schema = True


class Domain(DomainMixin):
    pass

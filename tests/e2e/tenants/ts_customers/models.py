"""The tenant model of the django-tenant-schemas variant (tenantsite/settings_ts.py):
its TenantMixin, which keeps the domain on the tenant itself."""
from django.db import models
from tenant_schemas.models import TenantMixin


class Client(TenantMixin):
    name = models.CharField(max_length=100)
    created_on = models.DateField(auto_now_add=True)

    auto_create_schema = True

"""The tenant and domain models of the multi-type variant (tenantsite/settings_mt.py):
each tenant has a type (MULTI_TYPE_DATABASE_FIELD) choosing its apps."""
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Client(TenantMixin):
    name = models.CharField(max_length=100)
    created_on = models.DateField(auto_now_add=True)
    type = models.CharField(max_length=20)

    auto_create_schema = True


class Domain(DomainMixin):
    pass

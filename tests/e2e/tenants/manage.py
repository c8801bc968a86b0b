#!/usr/bin/env python
"""manage.py of the django-tenants test project (tests/e2e/test_tenants.py runs it)."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenantsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

"""django-dbsync: bring a live database in line with the Django models, without migrations."""

__version__ = "0.1.0"

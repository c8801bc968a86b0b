"""django-dbsync: bring a live database in line with the Django models, without migrations."""


def __getattr__(name):
    # The version is compiled into the engine from meson.build, the one place
    # it is written (pyproject.toml takes it from there too); read lazily so
    # importing the package does not load the extension.
    if name == "__version__":
        from ._engine import __version__

        return __version__
    raise AttributeError("module %r has no attribute %r" % (__name__, name))

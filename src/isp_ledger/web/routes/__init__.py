"""The page routes, one module per part of the site; each router's routes are ``PageRoute`` (``errors.py``)."""

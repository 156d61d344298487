"""The floor: the cheapest Django views on the product's stack (gunicorn, PostgreSQL, the same database
settings), for bench/http_load.py to report each product figure against. Not part of the product.

- POST /insert/ inserts one row and answers 201;
- GET /rows/ reads the 25 newest rows by an index and renders them in a minimal template.

No sessions, no authentication, no CSRF, no i18n: what any Django page costs at the least.
"""

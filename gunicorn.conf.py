"""gunicorn's settings file, read from the working directory: docker-compose's web service, bench/http_load.py
(the product and its floor alike) and the tests' live servers start gunicorn there. The command line gives
the rest (workers, threads, bind).

The garbage collector (issue 16, bench/RESULTS.md "session 7"): once a worker has loaded the project, what it
loaded (modules, URL conf, templates, translations: most of its objects, kept for its whole life) is moved out
of the collector's sight (gc.freeze), and young objects are collected after 50,000 allocations instead of 700:
a page makes tens of thousands of short-lived objects, and with the defaults a full collection now and then
walked every object of the process in the middle of a request (the API's detail of a 200-followup ticket:
p95 133-144 ms over a 50 ms median; 63 ms with this).
"""

import gc

GC_THRESHOLD = (50_000, 20, 20)


def post_worker_init(worker):
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)

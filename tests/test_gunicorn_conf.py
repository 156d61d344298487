"""gunicorn.conf.py: each worker, once the project is loaded, freezes what it loaded out of the garbage
collector's sight and collects young objects less often."""

import gc
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_worker_freezes_what_it_loaded_and_collects_less_often():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    threshold = gc.get_threshold()
    try:
        conf.post_worker_init(worker=None)

        assert gc.get_threshold() == conf.GC_THRESHOLD and conf.GC_THRESHOLD[0] >= 10_000
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)

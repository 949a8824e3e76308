"""Starts one served real app on 127.0.0.1:PORT, the same way for its legacy and migrated copy.

    python -m legacy_shim benchmarks/real_apps_serve_launcher.py APP_DIR PORT SERVE_JSON   # (a) legacy
    python benchmarks/real_apps_serve_launcher.py APP_DIR PORT SERVE_JSON                  # (b) migrated

Real apps hard-code their port (5000, 8000 ...) and some start gevent or a reloader; this
launcher imports the app the way its ``__main__`` would and serves its WSGI callable with
werkzeug's threaded server (Flask's default since 1.0), so both copies get the same server.
SERVE_JSON says how:

- ``{"wsgi": "module:attr"}``: import ``module`` from APP_DIR, serve ``attr``;
  ``"setup": "load_model()"`` runs that statement in the module first (what the app's
  ``__main__`` did before ``app.run``); ``"threaded": false`` for an app that served that way;
- ``{"django": "project.settings"}``: Django's WSGI application for those settings.

One stand-in, identical for both copies: ``keras.applications`` weights and
``imagenet_class_index.json`` are random-weight files the harness built and placed in
``~/.keras/models`` (HOME is the harness's own folder). Keras checks a downloaded file's
published hash and would fetch it again on a mismatch, so ``validate_file`` accepts files under
that folder; nothing else of Keras is touched, and nothing is ever downloaded.
"""

from __future__ import annotations

import importlib
import json
import os
import sys


def _accept_stand_in_weights() -> None:
    home = os.path.realpath(os.path.join(os.path.expanduser("~"), ".keras"))
    names = ["tf_keras.src.utils.data_utils"]
    if "legacy_shim" not in sys.modules:  # under the shim, `keras` means tf_keras
        names.append("keras.src.utils.file_utils")
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        original = module.validate_file

        def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535, _original=original):
            if os.path.realpath(fpath).startswith(home + os.sep):
                return True
            return _original(fpath, file_hash, algorithm=algorithm, chunk_size=chunk_size)

        module.validate_file = validate_file


def _wsgi_app(app_dir: str, serve: dict):
    if "django" in serve:
        os.environ["DJANGO_SETTINGS_MODULE"] = serve["django"]
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()
    module_name, attr = serve["wsgi"].split(":")
    module = importlib.import_module(module_name)
    if serve.get("setup"):
        exec(serve["setup"], module.__dict__)  # noqa: S102 - a statement from the harness's own spec
    return getattr(module, attr)


def main(argv: list[str] | None = None) -> int:
    """Serve the app; returns only when the server is stopped."""
    app_dir, port, serve = (sys.argv[1:] if argv is None else argv)
    serve = json.loads(serve)
    app_dir = os.path.abspath(app_dir)
    os.chdir(app_dir)
    sys.path.insert(0, app_dir)
    sys.argv = [os.path.join(app_dir, "app.py")]
    _accept_stand_in_weights()
    app = _wsgi_app(app_dir, serve)
    from werkzeug.serving import run_simple

    run_simple("127.0.0.1", int(port), app, threaded=serve.get("threaded", True), use_reloader=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

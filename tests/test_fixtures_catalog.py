"""The fixture catalogue keeps its contract: valid meta.json, legacy-looking apps, stable payloads."""

import ast
import json
import re

import pytest

from fixtures import catalog, models

APPS = catalog.all_apps()
META_KEYS = {"description", "kind", "entry", "wsgi", "route", "input_dim", "models", "fails_without_shim",
             "fails_without_reentry_patches", "threaded_ok"}


def test_catalogue_covers_flask_django_tornado_and_worker_apps():
    kinds = {app.kind for app in APPS}
    assert kinds == {"flask", "django", "tornado", "worker"}
    assert [a.name for a in APPS] == sorted(p.name for p in catalog.APPS_DIR.iterdir() if (p / "meta.json").exists())


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_meta_and_app_agree(app):
    raw = json.loads((app.path / "meta.json").read_text())
    # "migrated_as" (raw TF1 apps only): "tf2-function", "tf.compat.v1" or "legacy"
    assert set(raw) - {"migrated_as"} == META_KEYS, set(raw) ^ META_KEYS
    assert raw.get("migrated_as", "legacy") in ("tf2-function", "tf.compat.v1", "legacy")
    modules = catalog.sources(app)
    source = modules[app.entry]
    everything = "\n".join(modules.values())
    trees = [ast.parse(text) for text in modules.values()]
    imported = {a.name for tree in trees for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for tree in trees for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "legacy_shim" not in imported, "the harness adds the shim; apps must stay as users wrote them"
    if raw.get("migrated_as") not in ("tf2-function", "tf.compat.v1"):  # (raw TF1 apps have no Keras)
        assert any(m and (m == "keras" or m.startswith("keras.")) for m in imported), "apps use standalone-Keras spellings"
    for filename in app.models:
        # a file in a subfolder is often opened through os.path.join(..., 'models', 'name.h5')
        assert filename in everything or "/" in filename and filename.rsplit("/", 1)[1] in everything, \
            f"{filename} is copied in but no module of the app opens it"
    re.compile(app.fails_without_shim)
    if app.kind == "flask":
        assert app.wsgi == "app:app" and app.route.startswith("/")
        assert f"@app.route('{app.route}'" in source
        assert 'os.environ.get("PORT", "5000")' in source
        assert app.threaded_ok == ("threaded=False" not in source)
    elif app.kind == "django":
        assert app.entry == "wsgi.py" and app.wsgi == "wsgi:app" and app.threaded_ok
        assert "application = get_wsgi_application()" in source and "app = application" in source
        assert 'os.environ.get("PORT", "5000")' in source and "runserver" in source
        assert f"path('{app.route.lstrip('/')}'" in everything, "the route is not in any urls.py"
    elif app.kind == "tornado":
        assert app.wsgi is None and "def make_app():" in source and "IOLoop.current().start()" in source
        assert 'os.environ.get("PORT", "5000")' in source
        assert f"(r'{app.route}'," in source
    else:
        assert app.wsgi is None and "ThreadPoolExecutor" in source


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_payloads_are_deterministic_and_shaped(app):
    first = catalog.payloads(app, 20, seed=3)
    assert first == catalog.payloads(app, 20, seed=3)
    assert first != catalog.payloads(app, 20, seed=4)
    sizes = {len(body["instances"]) for body in first}
    assert sizes <= {1, 2, 3, 4} and len(sizes) > 1
    assert all(len(row) == app.input_dim for body in first for row in body["instances"])
    assert json.loads(json.dumps(first)) == first


def test_prepare_copies_the_app_and_its_models(tmp_path):
    app = catalog.get_app("two_graphs")
    dest = catalog.prepare(app, tmp_path / "copy")
    assert (dest / "app.py").read_text() == (app.path / "app.py").read_text()
    built = models.built_models_dir()
    for filename, model_name in app.models.items():
        assert (dest / filename).read_bytes() == (built / models.BY_NAME[model_name].filename).read_bytes()
    assert not any(p.suffix == ".h5" for p in app.path.iterdir()), "model files must never land in the source tree"


def test_unknown_app_is_a_clear_error():
    with pytest.raises(KeyError, match="no fixture app"):
        catalog.get_app("no_such_app")

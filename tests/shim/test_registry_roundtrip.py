"""uninstall() puts back exactly what was there: every attribute, module entry and env var."""


def test_uninstall_restores_every_patched_object(run):
    code = """
    import os, sys, types
    import tensorflow as tf
    import tf_keras, tf_keras.api._v1.keras
    from tf_keras.src.engine import training_v1, sequential
    from tf_keras.src import backend

    def snapshot():
        # Every attribute of every TF/tf_keras module and of the classes the shim touches.
        # (TF's eager context module is left out: TF creates its context object lazily, and its
        # own eager switch, ops.enable_eager_execution_internal, rebinds context.context; the shim
        # sets nothing there.)
        owners = {name: m for name, m in list(sys.modules.items())
                  if m is not None and name.startswith(("tensorflow", "tf_keras"))
                  and name != "tensorflow.python.eager.context"}
        owners["<Model>"] = training_v1.Model
        owners["<Sequential>"] = sequential.Sequential
        owners["<Session>"] = tf.compat.v1.Session
        owners["<GraphExecutionFunction>"] = backend.GraphExecutionFunction
        return {k: {a: id(v) for a, v in vars(o).items()} for k, o in owners.items()}, \\
            dict(sys.modules), dict(os.environ), list(sys.meta_path)

    before, modules, environ, meta_path = snapshot()
    import legacy_shim
    from legacy_shim import patches
    applied = legacy_shim.report().patches
    # a few things the shim must really have changed
    changed = {
        "tf.Session": hasattr(tf, "Session"),
        "predict wrapped": legacy_shim.is_patched(training_v1.Model, "predict"),
        "predict original": legacy_shim.get_original(training_v1.Model, "predict") is vars(training_v1.Model)["predict"].__wrapped__,
        "keras is Keras 2": __import__("keras").__version__.startswith("2"),
    }
    notes = legacy_shim.uninstall()
    after, modules_after, environ_after, meta_after = snapshot()
    differences = []
    for owner, attrs in before.items():
        now = after.get(owner, {})
        for attr, ident in attrs.items():
            if now.get(attr) != ident:
                differences.append(f"{owner}.{attr}")
        for attr in set(now) - set(attrs):
            value = vars(sys.modules[owner])[attr] if owner in sys.modules else None
            if not isinstance(value, types.ModuleType):  # submodules imported meanwhile are fine
                differences.append(f"{owner}.{attr} (added)")
    for name, module in modules.items():
        if modules_after.get(name) is not module:
            differences.append(f"sys.modules[{name!r}]")
    emit({
        "statuses": {o.id: o.status for o in applied},
        "table": [p.id for p in patches.PATCHES],
        "changed": changed,
        "differences": differences[:50],
        "env_same": environ == environ_after,
        "meta_path_same": meta_path == meta_after,
        "keras_still_aliased": "keras" in sys.modules and sys.modules["keras"].__name__.startswith("tf_keras"),
        "notes": notes,
        "patched_after": legacy_shim.is_patched(training_v1.Model, "predict"),
    })
    """
    _, out = run(code)
    assert out["changed"] == {"tf.Session": True, "predict wrapped": True, "predict original": True, "keras is Keras 2": True}
    assert set(out["statuses"]) == set(out["table"]), "every row is accounted for in the report"
    assert "failed" not in out["statuses"].values(), out["statuses"]
    tf_keras_rows = {"legacy-keras-env", "tf1-graph-mode", "tf1-names", "tf1-changed-names", "keras2-imports",
                     "session-sharing", "thread-context", "clear-session-guard", "load-once", "keras2-predict-classes",
                     "worklist"}
    assert {k for k, v in out["statuses"].items() if v == "applied"} >= tf_keras_rows
    assert out["differences"] == []
    assert out["env_same"] and out["meta_path_same"]
    assert not out["keras_still_aliased"]
    assert not out["patched_after"]
    # TF refuses to turn eager back on once graphs ran: the only note allowed.
    assert all(n.startswith("tf1-graph-mode:") for n in out["notes"]), out["notes"]


def test_install_is_idempotent_and_disable_is_reported(run):
    code = """
    import legacy_shim
    from tf_keras.src.engine import training_v1
    first = vars(training_v1.Model)["predict"]
    legacy_shim.install(); legacy_shim.install()
    emit({
        "same_wrapper": vars(training_v1.Model)["predict"] is first,
        "statuses": {o.id: o.status for o in legacy_shim.report().patches},
        "load_model_layers": 0,
    })
    """
    _, out = run(code, env={"LEGACY_SHIM_DISABLE": "load-once"})
    assert out["same_wrapper"]
    assert out["statuses"]["load-once"] == "disabled"
    assert out["statuses"]["thread-context"] == "applied"

"""Remove `set_session` and the Session/ConfigProto that only hosted Keras; map the options.

TF1 apps created a `tf.Session(config=tf.ConfigProto(...))` only to hand it to Keras with
`K.set_session(...)` (often again in every request). Eager TF 2 has no session; the
process-wide settings the ConfigProto carried have `tf.config` equivalents (table below).
Options with no faithful equivalent are dropped with the session and reported.

    -config = tf.ConfigProto(intra_op_parallelism_threads=2)
    -config.gpu_options.allow_growth = True
    -sess = tf.Session(config=config)
    -K.set_session(sess)
    +tf.config.threading.set_intra_op_parallelism_threads(2)
    +for gpu in tf.config.list_physical_devices("GPU"):
    +    tf.config.experimental.set_memory_growth(gpu, True)

A session that is also used for something else (`sess.run`, raw TF1 graphs) stays, and so
does its config.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from migrate.analysis.blocks import BlockEditor
from migrate.analysis.carriers import SESSION, Carriers, leftover_statements, prune_dead_carriers, still_read
from migrate.analysis.names import ImportNames, dotted, from_imports_of
from migrate.analysis.raw_tf1 import find_raw_tf1, mentions_raw_tf1
from migrate.rules.base import Example, Rule
from migrate.analysis.walk import transform, walk

SET_SESSION = frozenset({"keras.backend.set_session"})
CONFIG_PROTO = "tensorflow.ConfigProto"
GPU_OPTIONS = "tensorflow.GPUOptions"
# calls that mean a session is still around after the rewrite (reported)
LEFTOVERS = frozenset({"keras.backend.get_session", "keras.backend.set_session", "tensorflow.Session",
                       "tensorflow.InteractiveSession", "tensorflow.get_default_session"})
# from-imports this rule can leave unused
REMOVABLE_IMPORTS = frozenset(
    {"keras.backend.set_session", "keras.backend.get_session", CONFIG_PROTO, GPU_OPTIONS,
     "tensorflow.Session", "tensorflow.InteractiveSession"}
)


@dataclass(frozen=True)
class OptionMapping:
    """How one ConfigProto option (dotted path) becomes TF 2 code.

    `template` gets `{tf}` (the module's TensorFlow name) and `{value}` (the option's source);
    `when` is the literal source value the template applies to (None: any value);
    `noop_values` are values that are already TF 2's default (nothing to write).
    """

    option: str
    template: str | None
    why: str
    when: str | None = None
    noop_values: tuple[str, ...] = ()


OPTION_MAPPINGS: tuple[OptionMapping, ...] = (
    OptionMapping(
        "gpu_options.allow_growth",
        'for gpu in {tf}.config.list_physical_devices("GPU"):\n'
        "    {tf}.config.experimental.set_memory_growth(gpu, True)",
        "memory growth is per physical GPU in TF 2",
        when="True",
        noop_values=("False",),
    ),
    OptionMapping(
        "intra_op_parallelism_threads",
        "{tf}.config.threading.set_intra_op_parallelism_threads({value})",
        "process-wide thread pool setting in TF 2",
        noop_values=("0",),
    ),
    OptionMapping(
        "inter_op_parallelism_threads",
        "{tf}.config.threading.set_inter_op_parallelism_threads({value})",
        "process-wide thread pool setting in TF 2",
        noop_values=("0",),
    ),
    OptionMapping(
        "allow_soft_placement",
        "{tf}.config.set_soft_device_placement({value})",
        "soft placement is a global switch in TF 2",
    ),
    OptionMapping(
        "log_device_placement",
        "{tf}.debugging.set_log_device_placement({value})",
        "placement logging moved to tf.debugging",
        noop_values=("False",),
    ),
    OptionMapping(
        "device_count.GPU",
        '{tf}.config.set_visible_devices([], "GPU")',
        "device_count={'GPU': 0} hid the GPUs",
        when="0",
    ),
    OptionMapping(
        "device_count.CPU",
        None,
        "TF 2 has one CPU device, as device_count={'CPU': 1} asked",
        noop_values=("1",),
    ),
)
_BY_OPTION = {m.option: m for m in OPTION_MAPPINGS}


def map_option(option: str, value: str) -> tuple[list[str], str | None]:
    """(TF 2 statements, None) for a mapped option, ([], reason) when it has no equivalent."""
    mapping = _BY_OPTION.get(option)
    if mapping is None:
        return [], f"ConfigProto option `{option}={value}` has no faithful tf.config equivalent"
    if value in mapping.noop_values:
        return [], None
    if mapping.template is None or (mapping.when is not None and value != mapping.when):
        return [], f"ConfigProto option `{option}={value}` has no faithful tf.config equivalent"
    return [mapping.template.replace("{value}", value)], None


class _SetSessionRemover(BlockEditor):
    DROPS_EXPLAINING_PRINTS = True

    def __init__(
        self, rule: "SessionConfig", names: ImportNames, carriers: Carriers, tf: str, gpu: dict[str, cst.Call]
    ) -> None:
        super().__init__()
        self.changed = False
        self.gpu = gpu
        self.rule = rule
        self.names = names
        self.carriers = carriers
        self.tf = tf

    def edit_statement(self, original, updated):
        if not isinstance(original, cst.SimpleStatementLine):
            return None
        for small in original.body:
            if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)):
                continue
            call = small.value
            if self.names.qualify(call.func) not in SET_SESSION:
                continue
            if len(original.body) != 1 or len(call.args) != 1:
                self.rule.manual(original, "set_session(...) in a compound statement: remove it by hand")
                return None
            arg = call.args[0].value
            inline = _inline_config(arg, self.names)
            if not (self.carriers.is_pure(arg, allow_configured_sessions=True)
                    or self.carriers.kind_of(arg) == SESSION):
                self.rule.manual(original, "set_session(...) of a session built elsewhere: check and remove by hand")
                return None
            self.changed = True
            if inline is None:
                return []
            options = _config_options(inline, self.names, self.gpu)
            lines = self.rule.emit(options, original, self.tf)
            return _with_first_leading(lines, updated.leading_lines)
        return None


def _with_first_leading(statements: list[cst.BaseStatement], leading) -> list[cst.BaseStatement]:
    if statements:
        statements[0] = statements[0].with_changes(leading_lines=leading)
    return statements


def _inline_config(arg: cst.BaseExpression, names: ImportNames) -> cst.Call | None:
    """The ConfigProto(...) call written inside `set_session(tf.Session(config=...))`."""
    if isinstance(arg, cst.Call):
        for a in arg.args:
            if a.keyword is not None and a.keyword.value == "config":
                value = a.value
                if isinstance(value, cst.Call) and names.qualify(value.func) == CONFIG_PROTO:
                    return value
    return None


def _config_options(
    call: cst.Call, names: ImportNames, gpu_bindings: dict[str, cst.Call]
) -> list[tuple[str, str]]:
    """(dotted option, value source) for each keyword of a ConfigProto(...) call."""
    module = cst.Module(body=[])
    out: list[tuple[str, str]] = []
    for a in call.args:
        if a.keyword is None:
            out.append(("<positional>", module.code_for_node(a.value)))
            continue
        key = a.keyword.value
        value = a.value
        if key == "gpu_options":
            gpu = value if isinstance(value, cst.Call) else gpu_bindings.get(dotted(value) or "")
            if isinstance(gpu, cst.Call) and names.qualify(gpu.func) == GPU_OPTIONS:
                for g in gpu.args:
                    if g.keyword is not None:
                        out.append((f"gpu_options.{g.keyword.value}", module.code_for_node(g.value)))
                continue
        if key == "device_count" and isinstance(value, cst.Dict):
            for element in value.elements:
                if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
                    out.append((f"device_count.{element.key.evaluated_value}", module.code_for_node(element.value)))
                else:
                    out.append(("device_count", module.code_for_node(value)))
            continue
        out.append((key, module.code_for_node(value)))
    return out


class _ConfigMapper(BlockEditor):
    """Replaces an unused `config = tf.ConfigProto(...)` (and its `config.x = v` lines)."""

    def __init__(self, rule: "SessionConfig", plans: dict[int, list[tuple[str, str]]], drop: set[int], tf: str) -> None:
        super().__init__()
        self.rule = rule
        self.plans = plans
        self.drop = drop
        self.tf = tf

    def edit_statement(self, original, updated):
        if id(original) in self.plans:
            lines = self.rule.emit(self.plans[id(original)], original, self.tf)
            return _with_first_leading(lines, updated.leading_lines)
        if id(original) in self.drop:
            return []
        return None


class SessionConfig(Rule):
    """Remove set_session and the hosting Session/ConfigProto, mapping options to tf.config."""

    NAME = "session-config"
    DESCRIPTION = (
        "Remove `K.set_session(...)` and the `tf.Session`/`ConfigProto` that only hosted Keras; "
        "map ConfigProto options to `tf.config` and report the ones with no equivalent."
    )
    SAFE = True
    ORDER = 25
    TRIGGERS = ("set_session", "ConfigProto", "Session")
    FIXES = [
        Example(
            """
            import tensorflow as tf
            from keras import backend as K

            # be polite on the shared box
            config = tf.ConfigProto(intra_op_parallelism_threads=1,
                                    inter_op_parallelism_threads=2,
                                    allow_soft_placement=True,
                                    device_count={'CPU': 1, 'GPU': 0})
            config.gpu_options.allow_growth = True
            session = tf.Session(config=config)
            K.set_session(session)
            model = load_model("m.h5")
            """,
            """
            import tensorflow as tf
            from keras import backend as K

            # be polite on the shared box
            tf.config.threading.set_intra_op_parallelism_threads(1)
            tf.config.threading.set_inter_op_parallelism_threads(2)
            tf.config.set_soft_device_placement(True)
            tf.config.set_visible_devices([], "GPU")
            for gpu in tf.config.list_physical_devices("GPU"):
                tf.config.experimental.set_memory_growth(gpu, True)
            model = load_model("m.h5")
            """,
            id="ConfigProto options mapped to tf.config, session and set_session removed",
        ),
        Example(
            """
            import tensorflow as tf
            from keras.backend import set_session

            sess = tf.Session()
            set_session(sess)
            model = load_model("m.h5")

            def predict(x):
                global sess
                set_session(sess)
                return model.predict(x)
            """,
            """
            import tensorflow as tf

            model = load_model("m.h5")

            def predict(x):
                return model.predict(x)
            """,
            id="set_session at import and per request, global removed",
        ),
        Example(
            """
            import tensorflow as tf
            from keras.backend import set_session

            sess = tf.Session()
            set_session(sess)
            print("**set_session done**")
            model = load_model("m.h5")
            print("session ready")

            def predict(x):
                set_session(sess)
                print("model loaded")
                return model.predict(x)
            """,
            """
            import tensorflow as tf

            model = load_model("m.h5")
            print("session ready")

            def predict(x):
                print("model loaded")
                return model.predict(x)
            """,
            id="a print right after set_session saying it ran goes with it; unrelated or farther prints stay",
        ),
        Example(
            """
            import tensorflow as tf
            tf.keras.backend.set_session(tf.compat.v1.Session(config=tf.compat.v1.ConfigProto(log_device_placement=True)))
            """,
            """
            import tensorflow as tf
            tf.debugging.set_log_device_placement(True)
            """,
            id="inline session and config, tf.keras / compat.v1 spellings",
        ),
        Example(
            """
            import tensorflow as tf
            import keras.backend.tensorflow_backend as ktf
            gpu_options = tf.GPUOptions(per_process_gpu_memory_fraction=0.3, allow_growth=True)
            ktf.set_session(tf.Session(config=tf.ConfigProto(gpu_options=gpu_options)))
            """,
            """
            import tensorflow as tf
            import keras.backend.tensorflow_backend as ktf
            for gpu in tf.config.list_physical_devices("GPU"):
                tf.config.experimental.set_memory_growth(gpu, True)
            """,
            id="GPUOptions: allow_growth mapped, memory fraction reported",
            manual=(4,),
        ),
        Example(
            """
            from tensorflow.compat.v1 import ConfigProto, Session
            from tensorflow.compat.v1.keras.backend import set_session
            config = ConfigProto()
            config.gpu_options.allow_growth = True
            config.gpu_options.visible_device_list = "0"
            set_session(Session(config=config))
            """,
            """
            import tensorflow as tf

            for gpu in tf.config.list_physical_devices("GPU"):
                tf.config.experimental.set_memory_growth(gpu, True)
            """,
            id="from-imports; visible_device_list reported; tensorflow imported for tf.config",
            manual=(3,),
        ),
    ]
    NOOPS = [
        Example(
            """
            import tensorflow as tf
            x = tf.placeholder(tf.float32)
            sess = tf.Session(config=tf.ConfigProto(allow_soft_placement=True))
            print(sess.run(x * 2, feed_dict={x: 1.0}))
            """,
            id="session used for raw TF1 graph code stays",
        ),
        Example(
            """
            import tensorflow as tf
            sess = tf.Session()
            K.set_session(sess)
            """,
            id="set_session that is not Keras' (no import) stays",
        ),
        Example(
            """
            # K.set_session(sess)
            import tensorflow as tf
            session = requests.Session()
            """,
            id="comment and a Session that is not TF's",
        ),
    ]

    def emit(self, options: list[tuple[str, str]], site: cst.CSTNode, tf: str) -> list[cst.BaseStatement]:
        """TF 2 statements for ConfigProto options; options with no equivalent are reported."""
        code: list[str] = []
        for option, value in options:
            lines, problem = map_option(option, value)
            if problem:
                self.manual(site, f"{problem}; it was dropped with the session")
            for line in lines:
                if line not in code:
                    code.append(line)
        if code and tf == "tf" and not self._tf_bound:
            AddImportsVisitor.add_needed_import(self.context, "tensorflow", asname="tf")
        return list(cst.parse_module("\n".join(code).replace("{tf}", tf) + "\n").body) if code else []

    def rewrite(self, tree: cst.Module) -> cst.Module:
        names = self.analyses.names
        carriers = self.analyses.carriers
        code = self.code_of(tree)
        if mentions_raw_tf1(code) and find_raw_tf1(tree, names, carriers):
            return tree  # graph-reentry reports each site; the session is part of that graph code
        bound = [n for n in names.local_names_for("tensorflow") if "." not in n]
        self._tf_bound = bool(bound)
        tf = "tf" if "tf" in bound or not bound else bound[0]
        finder = _ConfigFinder(names)
        walk(tree, finder)
        remover = _SetSessionRemover(self, names, carriers, tf, finder.gpu_constructors_calls())
        result = transform(tree, remover) if "set_session" in code else tree
        result, pruned = prune_dead_carriers(
            result, names, allow_configured_sessions=True, carriers=carriers, facts=self.file.facts
        )
        result, mapped = self._map_unused_configs(result, names, tf, finder if result is tree else None)
        for statement, qualified in leftover_statements(result, names, LEFTOVERS):
            self.manual(statement, f"`{qualified.rsplit('.', 1)[-1]}(...)` left: TF 2 has no session"
                                   f"{still_read(result, statement)}; remove or port this use by hand")
        if not (remover.changed or pruned or mapped):
            return tree
        self._drop_unused_imports(tree)
        return result

    def _drop_unused_imports(self, tree: cst.Module) -> None:
        # `from keras.backend import set_session` & co. go once nothing uses them
        for module, name, asname in from_imports_of(tree, REMOVABLE_IMPORTS):
            RemoveImportsVisitor.remove_unused_import(self.context, module, name, asname)

    def _map_unused_configs(
        self, tree: cst.Module, names: ImportNames, tf: str, finder: "_ConfigFinder | None"
    ) -> tuple[cst.Module, bool]:
        if finder is None:
            finder = _ConfigFinder(names)
            walk(tree, finder)
        plans: dict[int, list[tuple[str, str]]] = {}
        drop: set[int] = set()
        module = cst.Module(body=[])
        for key, (stmt, call) in finder.constructors.items():
            if finder.other_uses.get(key):
                continue
            options = _config_options(call, names, finder.gpu_constructors_calls())
            for attr_stmt, path, value in finder.attribute_sets.get(key, []):
                options.append((path, module.code_for_node(value)))
                drop.add(id(attr_stmt))
            plans[id(stmt)] = options
            for gpu_key in finder.gpu_args.get(key, []):
                if gpu_key in finder.gpu_constructors and finder.gpu_uses.get(gpu_key, 0) == 1:
                    drop.add(id(finder.gpu_constructors[gpu_key][0]))
        for gpu_key, (stmt, _call) in finder.gpu_constructors.items():
            if finder.gpu_uses.get(gpu_key, 0) == 0:
                drop.add(id(stmt))  # its ConfigProto went with an inline set_session(...)
        if not plans and not drop:
            return tree, False
        return transform(tree, _ConfigMapper(self, plans, drop, tf)), True


class _ConfigFinder(cst.CSTVisitor):
    """`config = tf.ConfigProto(...)` statements, `config.a.b = v` lines, and other uses."""

    def __init__(self, names: ImportNames) -> None:
        self.names = names
        self.constructors: dict[str, tuple[cst.SimpleStatementLine, cst.Call]] = {}
        self.gpu_constructors: dict[str, tuple[cst.SimpleStatementLine, cst.Call]] = {}
        self.attribute_sets: dict[str, list[tuple[cst.SimpleStatementLine, str, cst.BaseExpression]]] = {}
        self.other_uses: dict[str, int] = {}
        self.gpu_uses: dict[str, int] = {}
        self.gpu_args: dict[str, list[str]] = {}
        self._skip: set[int] = set()
        self._candidates: list[tuple[str, cst.Name]] = []

    def gpu_constructors_calls(self) -> dict[str, cst.Call]:
        return {k: v[1] for k, v in self.gpu_constructors.items()}

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if len(node.body) != 1 or not isinstance(node.body[0], cst.Assign):
            return
        assign = node.body[0]
        if len(assign.targets) != 1:
            return
        target = assign.targets[0].target
        value = assign.value
        if isinstance(target, cst.Name) and isinstance(value, cst.Call):
            qualified = self.names.qualify(value.func)
            if qualified == CONFIG_PROTO:
                self.constructors[target.value] = (node, value)
                self._skip.add(id(target))
                for a in value.args:
                    if a.keyword is not None and a.keyword.value == "gpu_options" and isinstance(a.value, cst.Name):
                        self.gpu_args.setdefault(target.value, []).append(a.value.value)
            elif qualified == GPU_OPTIONS:
                self.gpu_constructors[target.value] = (node, value)
                self._skip.add(id(target))
        elif isinstance(target, cst.Attribute):
            text = dotted(target)
            if text is not None and "." in text:
                head, _, path = text.partition(".")
                self.attribute_sets.setdefault(head, []).append((node, path, value))
                self._skip.add(id(_head_name(target)))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._skip.add(id(node.keyword))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._skip.add(id(node.attr))

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) in self._skip:
            return
        self._candidates.append((node.value, node))

    def leave_Module(self, original_node: cst.Module) -> None:
        for name, _node in self._candidates:
            if name in self.gpu_constructors:
                self.gpu_uses[name] = self.gpu_uses.get(name, 0) + 1
            self.other_uses[name] = self.other_uses.get(name, 0) + 1
        # the gpu options name used as the config's keyword is not "another use" of the config
        for key in self.constructors:
            self.other_uses.setdefault(key, 0)
        for key in list(self.attribute_sets):
            if key not in self.constructors:
                del self.attribute_sets[key]


def _head_name(node: cst.BaseExpression) -> cst.BaseExpression:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node

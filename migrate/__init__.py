"""migrate: a LibCST codemod from legacy TF1/Keras-2 graph/session juggling to load-once tf.keras.

`python -m migrate PATH...` prints diffs; `--write` applies them. See MIGRATION.md.
"""

__version__ = "0.1.0"

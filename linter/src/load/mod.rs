//! Discovery of configuration directories and parsing of `.tf`, `.tf.json` and `.tfvars` files with spans.

"""bindreg's built-in plugins, declared as ``bindreg`` entry points like any third-party plugin."""

# The suite uses the mockcloud plugin as installed (its pytest11 entry
# point); pytester runs inner pytest sessions for the tests of its options.
pytest_plugins = ["pytester"]

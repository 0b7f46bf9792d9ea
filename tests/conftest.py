pytest_plugins = [
    "tests.support.browser",
]

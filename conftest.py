pytest_plugins = ["intranet.testing"]

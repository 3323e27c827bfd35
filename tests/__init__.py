from . import test_listener_runner

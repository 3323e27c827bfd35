from . import controllers
from . import models
from . import report
from . import service
from .utils import install_log_filter


def post_load():
    # Before any online order is imported, in every process that loads the addon (server,
    # workers, the runner's): its expected failing INSERTs must not log customers' details.
    install_log_filter()

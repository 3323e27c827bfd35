from . import test_ingest
from . import test_pos_screen
from . import test_listener_runner
from . import test_pull_actions
from . import test_mapping_security
from . import test_health
from . import test_reporting

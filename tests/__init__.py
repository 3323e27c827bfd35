from . import test_ingest
from . import test_pos_screen
from . import test_listener_runner
from . import test_intake
from . import test_intake_fuzz

from . import res_company
from . import res_config_settings
from . import orderweb_product_map
from . import orderweb_order
from . import pos_config
from . import pos_order
from . import pos_session
from . import sale_order

"""Let the example's tests import the service module, as they would in the CRM's repo."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

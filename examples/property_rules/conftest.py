"""Let the example's tests import its rules module, as they would in a company's repo."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

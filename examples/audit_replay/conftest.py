"""Let the example's test import its module, as it would in an audit team's repo."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

"""Let the example's tests import ``mysite``, as they would in the Django project's repo."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

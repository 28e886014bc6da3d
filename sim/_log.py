"""Progress bars that obey the log level: shown at INFO and below, hidden by ``--quiet``.

Modules log with ``logging.getLogger(__name__)``; the CLI sets the level once.
"""

from __future__ import annotations

import logging
from typing import Any

from tqdm import tqdm


def progress(logger: logging.Logger, **kwargs: Any) -> tqdm:
    """A ``tqdm`` bar (keyword arguments as tqdm's) shown only when ``logger`` logs INFO."""
    return tqdm(disable=not logger.isEnabledFor(logging.INFO), **kwargs)

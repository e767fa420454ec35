"""``python -m bayes_meta_envs.cli``: the ``bayes-meta`` command."""

import sys

from bayes_meta_envs.cli import main

sys.exit(main())

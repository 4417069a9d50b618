import sys

from .cli import main

if __name__ == "__main__":  # not when a process pool re-imports the main module (a local Dask cluster)
    sys.exit(main())

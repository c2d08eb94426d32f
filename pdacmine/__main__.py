"""Allow ``python -m pdacmine`` (handy in a crontab line)."""

from pdacmine.cli import main

if __name__ == "__main__":
    main()

import os

from django.core.wsgi import get_wsgi_application

from shouwang.cli import keep_private

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.settings")
# Under any WSGI server (gunicorn run by hand, uWSGI…), files written under var/ stay private.
keep_private()
application = get_wsgi_application()

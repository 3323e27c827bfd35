"""Find the Odoo this project runs against: the user's own, never one it installs.

``ODOO_BIN`` if set, else ``odoo`` on PATH; its Python is the one its launcher names,
Odoo's own addons folders are derived from where that Python imports ``odoo``, and this
checkout is linked as ``pos_orderweb`` in a folder of its own (Odoo finds an addon by its
folder name). PostgreSQL comes from the usual ``PG*`` variables.

    eval "$(python3 tools/odoo_env.py)"   # exports ODOO_BIN ODOO_PYTHON OW_ADDONS OW_ADDONS_PATH
    python3 tools/odoo_env.py --series    # "18.0 /path/to/odoo" per series installed (.ci/run)
    python3 tools/odoo_env.py --supported # "18.0 19.0": the series compat.py's SERIES_TABLE lists

Runs on any Python 3 (standard library only). Exits 2 with one sentence when no Odoo is found.
Scripts of this project import it (``odoo_env.addons_path()``, ``odoo_env.odoo_command()``).
"""
import ast
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def series_table():
    """compat.py's SERIES_TABLE (what differs by series, keyed by the series supported), read
    as the literal it is: this runs without Odoo, on any Python 3.

    :return: {series (int): {key: value}}
    """
    with open(os.path.join(HERE, 'compat.py'), encoding='utf-8') as source:
        tree = ast.parse(source.read())
    for node in tree.body:
        targets = [getattr(target, 'id', None) for target in getattr(node, 'targets', ())]
        if isinstance(node, ast.Assign) and targets == ['SERIES_TABLE']:
            return ast.literal_eval(node.value)
    raise RuntimeError("compat.py has no SERIES_TABLE")


SERIES_TABLE = series_table()
SERIES = tuple('%s.0' % series for series in sorted(SERIES_TABLE))  # the Odoo series the addon claims, '18.0', ...
INSTALL_GUIDE = 'https://www.odoo.com/documentation/%s/administration/on_premise.html' % SERIES[0]
MISSING = ("No Odoo found: set ODOO_BIN to your odoo-bin of Odoo %s (or put `odoo` on PATH); "
           "to install Odoo, follow %s" % (' or '.join(SERIES), INSTALL_GUIDE))


class OdooNotFound(RuntimeError):
    pass


def odoo_bin():
    found = os.environ.get('ODOO_BIN') or shutil.which('odoo')
    if not found or not os.access(found, os.X_OK):
        raise OdooNotFound(MISSING)
    return os.path.abspath(found)


def odoo_python(launcher):
    """The interpreter a launcher (``odoo`` console script or ``odoo-bin``) runs with."""
    with open(os.path.realpath(launcher), 'rb') as script:
        first = script.readline().decode(errors='replace').strip()
    words = shlex.split(first[2:]) if first.startswith('#!') else []
    if words and os.path.basename(words[0]) == 'env':
        words = [shutil.which(word) for word in words[1:] if not word.startswith('-')][:1]
    return words[0] if words and words[0] else sys.executable


def odoo_addons(python, launcher):
    """Odoo's own addons folders, as its Python sees them (a source tree or an installed package)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [os.path.dirname(os.path.realpath(launcher)), os.environ.get('PYTHONPATH')])))
    code = "import odoo, os; print(os.path.dirname(os.path.abspath(odoo.__path__[0])))"
    result = subprocess.run([python, '-c', code], env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        reason = (result.stderr.strip().splitlines() or ['no output'])[-1]
        raise OdooNotFound("%s cannot import odoo (%s). %s" % (python, reason, MISSING))
    root = result.stdout.strip()
    return [path for path in (os.path.join(root, 'addons'), os.path.join(root, 'odoo', 'addons'))
            if os.path.isdir(path)]


def addons_dir():
    """A folder holding this checkout as ``pos_orderweb`` (OW_ADDONS, else one under the temp dir)."""
    # One folder per checkout: two checkouts run side by side (a branch and main) never swap each other's code.
    folder = os.environ.get('OW_ADDONS') or os.path.join(tempfile.gettempdir(), 'pos_orderweb-addons-%s-%s' % (
        os.getuid(), hashlib.sha256(HERE.encode()).hexdigest()[:8]))
    link = os.path.join(folder, 'pos_orderweb')
    os.makedirs(folder, exist_ok=True)
    if os.path.realpath(link) != HERE:
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(HERE, link)
    return folder


def environment():
    if os.environ.get('ODOO_BIN') and os.environ.get('OW_ADDONS_PATH') and os.environ.get('ODOO_PYTHON'):
        return {name: os.environ[name] for name in ('ODOO_BIN', 'ODOO_PYTHON', 'OW_ADDONS', 'OW_ADDONS_PATH')
                if name in os.environ}
    launcher = odoo_bin()
    python = odoo_python(launcher)
    folder = addons_dir()
    return {
        'ODOO_BIN': launcher,
        'ODOO_PYTHON': python,
        'OW_ADDONS': folder,
        'OW_ADDONS_PATH': ','.join([folder, *odoo_addons(python, launcher)]),
    }


def addons_path():
    return environment()['OW_ADDONS_PATH']


def odoo_command(*args):
    """``odoo`` with this project's addons path and PostgreSQL from the PG* variables."""
    env = environment()
    return [env['ODOO_BIN'], '--addons-path=' + env['OW_ADDONS_PATH'],
            '--db_host', os.environ.get('PGHOST', '127.0.0.1'), '--db_user', os.environ.get('PGUSER', 'root'),
            *(['--db_port', os.environ['PGPORT']] if os.environ.get('PGPORT') else []), *args]


def launcher_series(launcher):
    """The series ('18.0', '19.0', ...) a launcher reports, '' when it reports none."""
    try:
        version = subprocess.run([launcher, '--version'], capture_output=True, text=True, check=False).stdout
    except OSError:
        return ''
    match = re.search(r'(\d+\.\d+)', version)
    return match.group(1) if match else ''


def odoo_series():
    """The series (18, 19, ...) of the Odoo found, as its launcher reports it."""
    series = launcher_series(environment()['ODOO_BIN'])
    return int(series.split('.')[0]) if series else 0


def series_launchers():
    """One launcher per series the addon claims, of those installed here: ODOO_BIN_18 /
    ODOO_BIN_19 if set, else odoo-18.0 / odoo-19.0 on PATH; ODOO_BIN (else ``odoo`` on PATH)
    counts for the series it reports.

    :return: {series: launcher}
    """
    candidates = [os.environ.get('ODOO_BIN'), shutil.which('odoo')]
    for series in SERIES:
        candidates += [os.environ.get('ODOO_BIN_' + series.split('.')[0]), shutil.which('odoo-' + series)]
    found = {}
    for candidate in filter(None, candidates):
        if os.access(candidate, os.X_OK):
            series = launcher_series(candidate)
            if series in SERIES:
                found.setdefault(series, os.path.abspath(candidate))
    return found


def series_info(series=None):
    """The SERIES_TABLE entry of ``series`` (18, 19, ...; by default the Odoo found's)."""
    series = series or odoo_series()
    if series not in SERIES_TABLE:
        raise OdooNotFound("Odoo %s.0 is not a series this addon supports (%s)" % (series, ', '.join(SERIES)))
    return SERIES_TABLE[series]


def demo_data_options():
    """What installs demo data in a new database (18.0 does by default, 19.0 on --with-demo)."""
    return list(series_info()['demo_data_options'])


def no_demo_data_options():
    """What keeps demo data out of a new database (18.0 needs --without-demo, 19.0 loads none by default)."""
    return list(series_info()['no_demo_data_options'])


if __name__ == '__main__':
    if sys.argv[1:] == ['--series']:  # "SERIES LAUNCHER" per series found (.ci/run)
        for series, launcher in sorted(series_launchers().items()):
            print(series, launcher)
        sys.exit(0)
    if sys.argv[1:] == ['--supported']:  # the series the addon supports, found or not (.ci/run, .ci/lint)
        print(*SERIES)
        sys.exit(0)
    if sys.argv[1:] == ['--demo-data-options']:
        print(*demo_data_options())
        sys.exit(0)
    try:
        found = environment()
    except OdooNotFound as error:
        print(error, file=sys.stderr)
        sys.exit(2)
    for name, value in found.items():
        print('export %s=%s' % (name, shlex.quote(value)))

"""Fixtures of the ngx_s3 suite.

`s3` (session): a real /usr/sbin/nginx with the module and repld beside
it, users "alice" and "bob".  Every test that uses it has the nginx error
log and repld's log checked for [alert], [crit] and sanitizer reports
written during the test, and repld checked for a crash; the whole logs are
checked again after nginx and repld stop.  A failing test shows the log
lines written while it ran.  Tests must leave the session's repld running
(a crash is reported, and repld restarted for the next test).

`own_s3` (module): a separate nginx + repld pair for the tests that stop
and kill repld (t/repld/test_catalog_faults.py), same users, checked the
same way.
"""

import pytest

from lib.checks import unique_bucket
from lib.server import Server

_server = None
_own_server = None
_problems = []


@pytest.fixture(scope='session')
def s3(tmp_path_factory):
    global _server
    srv = _start(tmp_path_factory.mktemp('ngx_s3'))
    _server = srv
    yield srv
    _server = None
    _stop(srv)


@pytest.fixture(scope='module')
def own_s3(tmp_path_factory):
    """A separate nginx + repld pair whose repld the tests may stop, kill
    and restart (srv.repld).  Users alice and bob."""
    global _own_server
    srv = _start(tmp_path_factory.mktemp('ngx_s3_own'))
    _own_server = srv
    yield srv
    _own_server = None
    _stop(srv)


def _start(path):
    """nginx + repld in path, with users alice and bob."""
    srv = Server(path)
    try:
        srv.start()
        srv.alice = srv.add_user('alice')
        srv.bob = srv.add_user('bob')
    except BaseException:
        _problems.extend(srv.stop())
        raise
    return srv


def _stop(srv):
    """Stops srv; what its logs hold that they must not fails the session."""
    problems = srv.stop()
    if problems:
        _problems.append(f'nginx error log: {srv.error_log}, '
                         f'repld log: {srv.repld.log}')
        _problems.extend(problems)


# The session fails when nginx logged what it must not, or did not stop.
# Reported here rather than by raising in the fixture's teardown, which
# pytest may run after the last test (-x, Ctrl-C).

@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if _problems and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if _problems:
        terminalreporter.section('nginx/repld problems (the session fails)',
                                 red=True)
        for line in _problems[:100]:
            terminalreporter.write_line(line)


def _servers():
    return [s for s in (_server, _own_server) if s is not None]


@pytest.fixture(autouse=True)
def _error_log_guard(request):
    offsets = {id(s): s.log_offsets() for s in _servers()}
    request.node._ngx_log_offsets = offsets
    yield
    bad = []
    for srv in _servers():
        off = offsets.get(id(srv), (0, 0))
        problems = srv.problems_since(off)
        if problems:
            bad.append(f'logs of {srv.tmp} during this test:')
            bad += problems[:50]
        # the next tests need a repld: bring a crashed one back
        if srv is _server and srv.repld is not None \
                and not srv.repld.running:
            try:
                srv.repld.start()
            except RuntimeError as e:
                bad.append(f'cannot restart the session repld: {e}')
    if bad:
        pytest.fail('\n'.join(bad), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    offsets = getattr(item, '_ngx_log_offsets', {})
    for srv in _servers():
        off = offsets.get(id(srv), (0, 0))
        lines = srv.log_since(off[0])
        text = '\n'.join(lines[-60:]) or '(nothing logged)'
        rep.sections.append((f'nginx error log {srv.error_log}', text))
        if srv.repld is not None:
            lines = srv.repld.log_text(off[1]).splitlines()
            text = '\n'.join(lines[-40:]) or '(nothing logged)'
            rep.sections.append((f'repld log {srv.repld.log}', text))


@pytest.fixture(scope='session')
def alice(s3):
    return s3.client(s3.alice)


@pytest.fixture(scope='session')
def bob(s3):
    return s3.client(s3.bob)


@pytest.fixture
def bucket(s3, alice):
    """A new, empty bucket owned by alice."""
    name = unique_bucket()
    alice.create_bucket(Bucket=name)
    return name


@pytest.fixture
def new_bucket_name():
    return unique_bucket()

"""Debian's command-line S3 clients (aws cli, rclone, s3cmd), run with a
clean environment that points them at the test server."""

import subprocess

from lib.server import DOMAIN

AWS = '/usr/bin/aws'
RCLONE = '/usr/bin/rclone'
S3CMD = '/usr/bin/s3cmd'


def base_env(home):
    return {'PATH': '/usr/bin:/bin', 'HOME': str(home), 'LANG': 'C.UTF-8',
            'LC_ALL': 'C.UTF-8'}


def run(cmd, env, timeout=120):
    p = subprocess.run(cmd, capture_output=True, env=env, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f'{cmd} exited {p.returncode}:\n'
                             f'{p.stderr.decode(errors="replace")[-3000:]}')
    return p.stdout.decode('utf-8')


def aws_env(s3, home):
    env = base_env(home)
    env.update({
        'AWS_ACCESS_KEY_ID': s3.alice.access_key,
        'AWS_SECRET_ACCESS_KEY': s3.alice.secret_key,
        'AWS_DEFAULT_REGION': 'us-east-1',
        'AWS_CONFIG_FILE': str(home / 'no-aws-config'),
        'AWS_SHARED_CREDENTIALS_FILE': str(home / 'no-aws-credentials'),
        'AWS_PAGER': '',
        'AWS_EC2_METADATA_DISABLED': 'true',
    })
    return env


def rclone_env(s3, home, path_style=True, version=None, chunk=None):
    """rclone's remote "x:" for alice; version and chunk set the listing
    version and page size when given."""
    env = base_env(home)
    env.update({
        'RCLONE_CONFIG': str(home / 'rclone.conf'),    # none: env only
        'RCLONE_CONFIG_X_TYPE': 's3',
        'RCLONE_CONFIG_X_PROVIDER': 'Other',
        'RCLONE_CONFIG_X_ENDPOINT': s3.endpoint,
        'RCLONE_CONFIG_X_ACCESS_KEY_ID': s3.alice.access_key,
        'RCLONE_CONFIG_X_SECRET_ACCESS_KEY': s3.alice.secret_key,
        'RCLONE_CONFIG_X_REGION': 'us-east-1',
        'RCLONE_CONFIG_X_FORCE_PATH_STYLE': 'true' if path_style else 'false',
    })
    if chunk:
        env['RCLONE_CONFIG_X_LIST_CHUNK'] = str(chunk)
    if version:
        env['RCLONE_CONFIG_X_LIST_VERSION'] = str(version)
    if not path_style:
        env['RCLONE_CONFIG_X_ENDPOINT'] = f'http://{DOMAIN}:{s3.port}'
        env['HTTP_PROXY'] = env['http_proxy'] = s3.endpoint
    return env


def s3cmd_config(s3, home, path_style=True):
    """An s3cmd configuration file for alice in home; virtual-host style
    goes through nginx as the HTTP proxy (see rclone_env)."""
    server = f'127.0.0.1:{s3.port}' if path_style else f'{DOMAIN}:{s3.port}'
    host_bucket = server if path_style else f'%(bucket)s.{server}'
    text = (f'[default]\naccess_key = {s3.alice.access_key}\n'
            f'secret_key = {s3.alice.secret_key}\n'
            f'host_base = {server}\nhost_bucket = {host_bucket}\n'
            'use_https = False\nsignature_v2 = False\n'
            'bucket_location = us-east-1\n')
    if not path_style:
        text += f'proxy_host = 127.0.0.1\nproxy_port = {s3.port}\n'
    cfg = home / 's3cfg'
    cfg.write_text(text)
    return cfg

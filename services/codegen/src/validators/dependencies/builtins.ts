import { builtinModules } from 'node:module';

/** Node's built-in modules (`fs`, `fs/promises`, `node:test` …), from the running Node. */
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, m.replace(/^node:/, '')]));

export function isNodeBuiltin(specifier: string): boolean {
  if (specifier.startsWith('node:')) return true;
  return NODE_BUILTINS.has(specifier) || NODE_BUILTINS.has(specifier.split('/')[0]!);
}

/**
 * Python's standard library top-level modules (CPython 3.11 `sys.stdlib_module_names`, public
 * names, plus a few removed or platform-specific ones a generated file may still import).
 */
export const PYTHON_STDLIB = new Set(
  `
  abc aifc antigravity argparse array ast asynchat asyncio asyncore atexit audioop base64 bdb
  binascii bisect builtins bz2 cProfile calendar cgi cgitb chunk cmath cmd code codecs codeop
  collections colorsys compileall concurrent configparser contextlib contextvars copy copyreg
  crypt csv ctypes curses dataclasses datetime dbm decimal difflib dis distutils doctest email
  encodings ensurepip enum errno faulthandler fcntl filecmp fileinput fnmatch fractions ftplib
  functools gc genericpath getopt getpass gettext glob graphlib grp gzip hashlib heapq hmac html
  http idlelib imaplib imghdr imp importlib inspect io ipaddress itertools json keyword lib2to3
  linecache locale logging lzma mailbox mailcap marshal math mimetypes mmap modulefinder msilib
  msvcrt multiprocessing netrc nis nntplib nt ntpath nturl2path numbers opcode operator optparse
  os ossaudiodev pathlib pdb pickle pickletools pipes pkgutil platform plistlib poplib posix
  posixpath pprint profile pstats pty pwd py_compile pyclbr pydoc pydoc_data pyexpat queue quopri
  random re readline reprlib resource rlcompleter runpy sched secrets select selectors shelve
  shlex shutil signal site smtpd smtplib sndhdr socket socketserver spwd sqlite3 sre_compile
  sre_constants sre_parse ssl stat statistics string stringprep struct subprocess sunau symtable
  sys sysconfig syslog tabnanny tarfile telnetlib tempfile termios textwrap this threading time
  timeit tkinter token tokenize tomllib trace traceback tracemalloc tty turtle turtledemo types
  typing unicodedata unittest urllib uu uuid venv warnings wave weakref webbrowser winreg
  winsound wsgiref xdrlib xml xmlrpc zipapp zipfile zipimport zlib zoneinfo
  __future__ asynchat asyncore distutils imp smtpd
  `
    .split(/\s+/)
    .filter(Boolean),
);

/**
 * Import name → distribution name where they differ (the common cases; PEP 503 names).
 * An import not listed here is assumed to be distributed under its own name.
 */
export const PYTHON_IMPORT_TO_DIST: Record<string, string[]> = {
  yaml: ['pyyaml'],
  cv2: ['opencv-python', 'opencv-python-headless', 'opencv-contrib-python'],
  PIL: ['pillow'],
  sklearn: ['scikit-learn'],
  skimage: ['scikit-image'],
  bs4: ['beautifulsoup4'],
  dateutil: ['python-dateutil'],
  jwt: ['pyjwt'],
  jose: ['python-jose'],
  dotenv: ['python-dotenv'],
  multipart: ['python-multipart'],
  magic: ['python-magic'],
  docx: ['python-docx'],
  pptx: ['python-pptx'],
  slugify: ['python-slugify'],
  psycopg2: ['psycopg2', 'psycopg2-binary'],
  psycopg: ['psycopg', 'psycopg-binary'],
  MySQLdb: ['mysqlclient'],
  pymysql: ['pymysql'],
  Crypto: ['pycryptodome'],
  Cryptodome: ['pycryptodomex'],
  OpenSSL: ['pyopenssl'],
  google: [
    'protobuf',
    'google-cloud-storage',
    'google-api-python-client',
    'google-auth',
    'google-generativeai',
  ],
  attr: ['attrs'],
  serial: ['pyserial'],
  usb: ['pyusb'],
  git: ['gitpython'],
  zmq: ['pyzmq'],
  fitz: ['pymupdf'],
  pydantic_settings: ['pydantic-settings'],
  sqlalchemy: ['sqlalchemy'],
  flask_sqlalchemy: ['flask-sqlalchemy'],
  flask_cors: ['flask-cors'],
  flask_login: ['flask-login'],
  flask_jwt_extended: ['flask-jwt-extended'],
  rest_framework: ['djangorestframework'],
  jinja2: ['jinja2'],
  markdown: ['markdown'],
  passlib: ['passlib'],
  email_validator: ['email-validator'],
  pkg_resources: ['setuptools'],
  setuptools: ['setuptools'],
  grpc: ['grpcio'],
  websocket: ['websocket-client'],
  socketio: ['python-socketio'],
  engineio: ['python-engineio'],
  telegram: ['python-telegram-bot'],
  discord: ['discord-py'],
  Levenshtein: ['python-levenshtein', 'levenshtein'],
  ldap: ['python-ldap'],
  nacl: ['pynacl'],
  win32api: ['pywin32'],
  dns: ['dnspython'],
  kafka: ['kafka-python'],
  mpl_toolkits: ['matplotlib'],
  tensorflow: ['tensorflow', 'tensorflow-cpu'],
  torch: ['torch'],
  faiss: ['faiss-cpu', 'faiss-gpu'],
  pytest_asyncio: ['pytest-asyncio'],
  httpx: ['httpx'],
  starlette: ['starlette', 'fastapi'],
  pydantic_core: ['pydantic-core', 'pydantic'],
  typing_extensions: ['typing-extensions'],
};

/** PEP 503 normalised distribution name. */
export function normalizePyName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

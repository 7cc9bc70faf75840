"""Peerdesk settings: one module, every deployment-specific value read from the environment.

With no environment at all this runs the embedded demo: SQLite under var/, no Redis (Celery
uses kombu's filesystem transport under var/, the cache is a file cache under var/). Setting
DATABASE_URL and REDIS_URL moves the same code onto PostgreSQL and Redis. See README.md for
the table of variables.
"""

from __future__ import annotations

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PEERDESK_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# A development key only when DEBUG is on; a production process without a key must not start,
# since sessions, password-reset links and CSRF tokens would be signed with a public value.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "value (python -c 'import secrets; print(secrets.token_urlsafe(50))'), or set "
            "DEBUG=true for local development."
        )
    SECRET_KEY = "peerdesk-development-only-key-never-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "taggit",
    "django_htmx",
    "accounts",
    "community",
    "kudos",
    "escalation",
    "experts",
    "notifications",
    "reports",
    # issue 17: the REST API, tokens and outgoing webhooks
    "rest_framework",
    "drf_spectacular",
    "api",
    # Developer commands (seed_demo, seed_bench); they use every app above.
    "devtools",
    # console: after the apps whose admin pages it audits (see console/receivers.py).
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before CSP and sessions: a hit is served with the headers stored with it (community.pagecache).
    "community.pagecache.AnonymousPageCacheMiddleware",
    # A member's own copy of a thread page they saw before, also with its stored headers (community.ownpage).
    "community.ownpage.OwnPageMiddleware",
    # django-csp's, with the policy also on 404 pages under DEBUG (config/middleware.py).
    "config.middleware.CSPMiddleware",
    "accounts.middleware.IdentityProviderFormActionMiddleware",  # SSO's redirect (issue 17)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # No shared caching of a member's pages (config/middleware.py).
    "config.middleware.PrivateCacheControlMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.HostHeaderMiddleware",  # SAML reads the Host header (issue 17)
    "django_htmx.middleware.HtmxMiddleware",
    "experts.middleware.ExpertBadgesMiddleware",
    # Last, so its 400 page renders like any page: no NUL byte in any input (config/middleware.py).
    "config.middleware.RejectNulMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "peerdesk.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE transactions take the
    # write lock at BEGIN so two writers queue on the busy timeout instead of failing with
    # "database is locked" half-way through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Plan the hottest statements once per connection (config/prepared.py); off behind a pooler in
# transaction mode (PgBouncer's pool_mode = transaction), which loses them between transactions.
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache and Celery -------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Redis, but an outage reads as an empty cache instead of an error page (config/cache.py);
    # short timeouts so an unreachable server costs a request a second at most, not minutes.
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "peerdesk",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # Sessions read from the cache (written through to the database, so a restart or a Redis
    # outage signs nobody out): one Redis GET per signed-in request instead of a query.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # A file cache, so the web process and the worker see the same entries on one laptop.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
    }

CELERY_TASK_IGNORE_RESULT = True
# A Redis outage: the worker keeps trying to reconnect (forever, backing off up to 30 s) and
# carries on where it was, also at start-up; queuing from a request tries briefly and gives up
# (config.tasks logs it, the database sweeps catch up), so a post never waits on a dead broker.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# An ack or a restore on a channel whose Redis connection is gone used to crash the worker
# ("AttributeError: ... 'hostname'"); config/celery.py makes kombu skip those instead.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "retry_on_timeout": True}
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# How often the escalation sweep looks for due deadlines (seconds). The database holds the
# deadlines; this only bounds how late an escalation can be.
ESCALATION_SWEEP_SECONDS = env.int("ESCALATION_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "escalation-sweep": {
        "task": "escalation.tasks.sweep_due_deadlines",
        "schedule": float(ESCALATION_SWEEP_SECONDS),
    },
}
# The experts tier: beat lapses held claims and ends expert windows with escalation's period
# (offers are rows; the database is the clock) and recomputes quality scores daily (the 90-day
# window slides).
CELERY_BEAT_SCHEDULE["experts-sweep"] = {
    "task": "experts.tasks.sweep_offers",
    "schedule": float(ESCALATION_SWEEP_SECONDS),
}
EXPERTS_QUALITY_SECONDS = env.int("EXPERTS_QUALITY_SECONDS", default=24 * 3600)
CELERY_BEAT_SCHEDULE["experts-quality"] = {
    "task": "experts.tasks.recompute_all_quality",
    "schedule": float(EXPERTS_QUALITY_SECONDS),
}
# The deflection report's daily rollup: rebuilds the last REPORT_ROLLUP_DAYS days (outcomes of
# recent questions still change) every REPORT_ROLLUP_SECONDS. Older days: rebuild_report_stats.
REPORT_ROLLUP_DAYS = env.int("REPORT_ROLLUP_DAYS", default=35)
REPORT_ROLLUP_SECONDS = env.int("REPORT_ROLLUP_SECONDS", default=15 * 60)
CELERY_BEAT_SCHEDULE["reports-rollup"] = {
    "task": "reports.tasks.rebuild_recent_stats",
    "schedule": float(REPORT_ROLLUP_SECONDS),
}

# Search corrects typos against the words of listed titles; beat rebuilds that vocabulary
# every SEARCH_WORDS_SECONDS (new public titles join it at once).
SEARCH_WORDS_SECONDS = env.int("SEARCH_WORDS_SECONDS", default=10 * 60)
CELERY_BEAT_SCHEDULE["community-search-words"] = {
    "task": "community.tasks.rebuild_search_words",
    "schedule": float(SEARCH_WORDS_SECONDS),
}

# Notifications: grouped emails (upvotes: one mail per answer per period) and emails whose
# after-commit task was lost go out every NOTIFICATION_DIGEST_SECONDS; accept reminders are
# looked for every NOTIFICATION_REMINDER_SECONDS (the delay itself is an admin setting).
NOTIFICATION_DIGEST_SECONDS = env.int("NOTIFICATION_DIGEST_SECONDS", default=60 * 60)
NOTIFICATION_REMINDER_SECONDS = env.int("NOTIFICATION_REMINDER_SECONDS", default=60 * 60)
CELERY_BEAT_SCHEDULE["notifications-pending-emails"] = {
    "task": "notifications.tasks.send_pending_emails",
    "schedule": float(NOTIFICATION_DIGEST_SECONDS),
}
CELERY_BEAT_SCHEDULE["notifications-accept-reminders"] = {
    "task": "notifications.tasks.send_accept_reminders",
    "schedule": float(NOTIFICATION_REMINDER_SECONDS),
}

# --- Accounts (django-allauth) ----------------------------------------------------------------
# Django's and allauth's, loading the signed-in member with a prepared statement (accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
# Refuses usernames that look like an existing member's or staff's name (accounts/names.py).

# Usernames are public: the model's rule plus a refusal of card and account numbers.
ACCOUNT_USERNAME_VALIDATORS = "accounts.hooks.USERNAME_VALIDATORS"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.str(
    "ACCOUNT_EMAIL_VERIFICATION", default="optional" if DEBUG else "mandatory"
)
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_USER_DISPLAY = "accounts.models.user_display"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Peerdesk] "
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "account_login"

# --- Single sign-on (issue 17): OpenID Connect and SAML 2.0 through allauth's socialaccount ---------
# Identity providers come from the environment (below) or from the admin (Social applications).
# First sign-in creates the member; an existing member is linked only through an email the
# provider says is verified (EMAIL_AUTHENTICATION looks at verified addresses only), never merged
# on an unverified one. See accounts/adapters.py and docs/architecture.md.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"  # the provider vouches (or not) for its addresses
SOCIALACCOUNT_STORE_TOKENS = False  # we only sign people in; no calls on their behalf
SOCIALACCOUNT_LOGIN_ON_GET = False  # starting a sign-in is a POST (no login CSRF)
# Password sign-in and sign-up can be turned off when every member comes through the IdP.
ACCOUNT_PASSWORD_LOGIN = env.bool("ACCOUNT_PASSWORD_LOGIN", default=True)
SOCIALACCOUNT_PROVIDERS: dict = {}
if env.str("OIDC_SERVER_URL", default=""):
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": env.str("OIDC_PROVIDER_ID", default="company"),
                "name": env.str("OIDC_NAME", default="Company sign-in"),
                "client_id": env.str("OIDC_CLIENT_ID"),
                "secret": env.str("OIDC_CLIENT_SECRET", default=""),
                "settings": {"server_url": env.str("OIDC_SERVER_URL")},
            }
        ],
    }
if env.str("SAML_IDP_METADATA_URL", default="") or env.str("SAML_IDP_SSO_URL", default=""):
    _saml_idp = {"entity_id": env.str("SAML_IDP_ENTITY_ID")}
    if env.str("SAML_IDP_METADATA_URL", default=""):
        _saml_idp["metadata_url"] = env.str("SAML_IDP_METADATA_URL")
    else:
        _saml_idp["sso_url"] = env.str("SAML_IDP_SSO_URL")
        _saml_idp["x509cert"] = env.str("SAML_IDP_X509CERT")
    SOCIALACCOUNT_PROVIDERS["saml"] = {
        "APPS": [
            {
                "client_id": env.str("SAML_ORGANIZATION_SLUG", default="company"),
                "name": env.str("SAML_NAME", default="Company sign-in (SAML)"),
                "settings": {
                    "idp": _saml_idp,
                    # The IdP vouches for an address with an email_verified attribute ("true").
                    "attribute_mapping": {
                        "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id"],
                        "email": [
                            "urn:oid:0.9.2342.19200300.100.1.3",
                            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
                        ],
                        "email_verified": ["email_verified", "http://schemas.auth0.com/email_verified"],
                        "name": [
                            "urn:oid:2.16.840.1.113730.3.1.241",
                            "http://schemas.microsoft.com/identity/claims/displayname",
                        ],
                        "first_name": [
                            "urn:oid:2.5.4.42",
                            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
                        ],
                        "last_name": ["urn:oid:2.5.4.4"],
                    },
                    # Assertions must be signed by the IdP; IdP-initiated sign-in is refused.
                    "advanced": {
                        "want_assertion_signed": True,
                        "reject_idp_initiated_sso": True,
                        # localhost and intranet hosts are single-label names.
                        "allow_single_label_domains": True,
                    },
                },
            }
        ]
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email --------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Peerdesk <noreply@peerdesk.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# The site speaks English only. Without the translation machinery every rendered number, date
# and reversed URL stops asking which language is active (over 600 times on a 100-answer page).
USE_I18N = False
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security -----------------------------------------------------------------------------------
# Production defaults; DEBUG (the laptop demo) relaxes only what plain http needs.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "https:", "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Peerdesk -----------------------------------------------------------------------------------
SITE_NAME = env.str("SITE_NAME", default="Peerdesk")
# The public address, for links in emails (which have no request to build them from).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# How long a public page rendered for anonymous visitors may be served from the cache; changes
# invalidate it sooner (community/pagecache.py). 0 turns the page cache off.
ANONYMOUS_PAGE_CACHE_SECONDS = env.int("ANONYMOUS_PAGE_CACHE_SECONDS", default=300)
# How often one member (or, signed out, one address) may ask for similar questions while
# typing a title on the ask page; beyond it /ask/similar/ answers 429. 0 turns the limit off.
SIMILAR_QUESTIONS_PER_MINUTE = env.int("SIMILAR_QUESTIONS_PER_MINUTE", default=30)


# --- REST API and webhooks (issue 17, api/) -------------------------------------------------------
# Requests per minute, counted per token (api/throttling.py); members signed in with a session
# (the browsable API) and anonymous addresses have their own limits.
API_TOKEN_RATE_PER_MINUTE = env.int("API_TOKEN_RATE_PER_MINUTE", default=120)
API_MEMBER_RATE_PER_MINUTE = env.int("API_MEMBER_RATE_PER_MINUTE", default=60)
API_ANONYMOUS_RATE_PER_MINUTE = env.int("API_ANONYMOUS_RATE_PER_MINUTE", default=30)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # enforces CSRF
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ReadOrWriteScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.NewestFirst",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Peerdesk API",
    "DESCRIPTION": "Threads, answers, tickets, members and kudos. Authenticate with "
    "`Authorization: Bearer pdk_…` (tokens at /settings/api-tokens/). Lists are cursor-paginated.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}
# Outgoing webhooks: each attempt waits at most WEBHOOK_TIMEOUT_SECONDS for the receiver (in a
# Celery worker, never a web request); beat queues due retries every WEBHOOK_SWEEP_SECONDS.
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=5)
WEBHOOK_SWEEP_SECONDS = env.int("WEBHOOK_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["api-webhook-retries"] = {
    "task": "api.tasks.retry_due_webhooks",
    "schedule": float(WEBHOOK_SWEEP_SECONDS),
}
# Helpdesk hand-offs and staff chat (escalation.helpdesk, escalation.chat): created, retried,
# refreshed and announced by one beat task every INTEGRATIONS_SWEEP_SECONDS.
INTEGRATIONS_SWEEP_SECONDS = env.int("INTEGRATIONS_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["escalation-integrations"] = {
    "task": "escalation.tasks.sync_integrations",
    "schedule": float(INTEGRATIONS_SWEEP_SECONDS),
}

# --- Images and time zones (issue 15) -----------------------------------------------------------
# Uploaded screenshots go through Django's storage API ("default" storage): a folder under var/
# by default, never served by a URL of its own (community.views.editor.image checks who may see each
# image). IMAGE_STORAGE=s3 puts them in an S3-compatible bucket through django-storages (the
# optional "s3" extra), configured by its usual AWS_* variables; keep the bucket private.
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"
if env.str("IMAGE_STORAGE", default="local") == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
IMAGE_MAX_BYTES = env.int("IMAGE_MAX_MB", default=5) * 1024 * 1024
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=40_000_000)
IMAGE_MAX_SIDE = env.int("IMAGE_MAX_SIDE", default=2560)
IMAGE_UPLOADS_PER_HOUR = env.int("IMAGE_UPLOADS_PER_HOUR", default=30)
MIDDLEWARE.append("accounts.middleware.TimezoneMiddleware")
TEMPLATES[0]["OPTIONS"]["builtins"] = ["accounts.templatetags.dates"]
CELERY_BEAT_SCHEDULE["community-stale-uploads"] = {
    "task": "community.tasks.delete_stale_uploads",
    "schedule": 60.0 * 60,
}
# A thread's rendered answers are cached per thread version and viewer state
# (community/templatetags/community_cache.py); off only to measure pages rendered from scratch.
ANSWERS_FRAGMENT_CACHE = env.bool("ANSWERS_FRAGMENT_CACHE", default=True)
# A thread page for signed-in members without a role on the thread is rendered once per thread
# version and shared, each viewer's own pieces filled in per request (community/memberpage.py);
# off only to measure pages rendered for each member.
MEMBER_PAGE_CACHE = env.bool("MEMBER_PAGE_CACHE", default=True)
# A member who reads a thread again while nothing they would see changed is given their own copy
# of the filled page, before the middleware (community/ownpage.py); off only to measure a
# member's first read of a thread version.
MEMBER_OWN_PAGE = env.bool("MEMBER_OWN_PAGE", default=True)

# --- Live thread pages (community/views/conversation.py) -----------------------------------------
# How often an open thread page asks whether anything changed (htmx polling, one indexed query
# and a 204 while nothing did; polling rather than server-sent events, which would hold a
# gunicorn sync worker per open page).
LIVE_THREAD_POLL_SECONDS = env.int("LIVE_THREAD_POLL_SECONDS", default=20)

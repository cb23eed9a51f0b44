"""The official Python SDKs against Keydesk's gateway.

Run by run.sh, which starts the fake provider and a keydesk-server in front
of it, creates an API key through the Admin API and passes:

  KEYDESK_URL        the server, e.g. http://127.0.0.1:PORT
  KEYDESK_API_KEY    the key the SDKs use
  KEYDESK_ADMIN_KEY  an Admin API key, to delete that key halfway

Each check prints "ok NAME" or "FAILED NAME: why"; the last line says
"N passed, M failed" and the exit code is 1 when anything failed.
"""

import json
import os
import sys
import traceback
import urllib.request

import openai
from mistralai.client import Mistral
from mistralai.client.errors import SDKError

URL = os.environ["KEYDESK_URL"]
KEY = os.environ["KEYDESK_API_KEY"]
ADMIN_KEY = os.environ["KEYDESK_ADMIN_KEY"]
MODEL = "fake-model"
MESSAGES = [{"role": "user", "content": "Say hello to the gateway."}]

results = []


def check(name):
    def run(fn):
        try:
            fn()
            results.append((name, None))
            print(f"ok {name}", flush=True)
        except Exception as e:  # noqa: BLE001 - any failure is the test's
            results.append((name, e))
            print(f"FAILED {name}: {e!r}", flush=True)
            traceback.print_exc()
        return fn

    return run


oa = openai.OpenAI(base_url=f"{URL}/v1", api_key=KEY, max_retries=0)
mi = Mistral(api_key=KEY, server_url=URL)


@check("openai lists the models")
def _():
    ids = [m.id for m in oa.models.list()]
    assert MODEL in ids, ids


@check("openai runs a chat completion")
def _():
    r = oa.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=5)
    assert r.choices[0].message.content.startswith("tok"), r
    assert r.usage.completion_tokens == 5, r.usage


@check("openai streams a chat completion")
def _():
    stream = oa.chat.completions.create(
        model=MODEL, messages=MESSAGES, max_tokens=4, stream=True, stream_options={"include_usage": True}
    )
    text, usage = "", None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
        if chunk.usage:
            usage = chunk.usage
    assert text == "tok tok tok tok", text
    assert usage is not None and usage.completion_tokens == 4, usage


@check("mistralai lists the models")
def _():
    ids = [m.id for m in mi.models.list().data]
    assert MODEL in ids, ids


@check("mistralai runs a chat completion")
def _():
    r = mi.chat.complete(model=MODEL, messages=MESSAGES, max_tokens=3)
    assert r.choices[0].message.content == "tok tok tok", r
    assert r.usage.completion_tokens == 3, r.usage


@check("mistralai streams a chat completion")
def _():
    text = ""
    for event in mi.chat.stream(model=MODEL, messages=MESSAGES, max_tokens=2):
        delta = event.data.choices[0].delta.content if event.data.choices else None
        if delta:
            text += delta
    assert text == "tok tok", text


def spend():
    req = urllib.request.Request(f"{URL}/v1/admin/workspaces/{os.environ['KEYDESK_WORKSPACE']}/spend")
    req.add_header("x-api-key", ADMIN_KEY)
    with urllib.request.urlopen(req) as res:
        return json.load(res)


@check("the requests are on the workspace's bill")
def _():
    import time

    deadline = time.time() + 10
    while True:
        s = spend()
        if s["requests"] >= 4 or time.time() > deadline:
            break
        time.sleep(0.1)
    assert s["requests"] == 4, s
    assert s["output_tokens"] == 5 + 4 + 3 + 2, s


# Delete the key, then both SDKs must raise their authentication error.
key_id = os.environ["KEYDESK_API_KEY_ID"]
req = urllib.request.Request(f"{URL}/v1/admin/api-keys/{key_id}", method="DELETE")
req.add_header("x-api-key", ADMIN_KEY)
urllib.request.urlopen(req).read()


@check("openai raises AuthenticationError with a deleted key")
def _():
    try:
        oa.models.list()
    except openai.AuthenticationError as e:
        assert e.status_code == 401
        assert "not valid" in str(e), str(e)
    else:
        raise AssertionError("no error")
    try:
        oa.chat.completions.create(model=MODEL, messages=MESSAGES)
    except openai.AuthenticationError:
        pass
    else:
        raise AssertionError("no error")


@check("mistralai raises its 401 error with a deleted key")
def _():
    try:
        mi.models.list()
    except SDKError as e:
        assert e.status_code == 401, e.status_code
    else:
        raise AssertionError("no error")
    try:
        mi.chat.complete(model=MODEL, messages=MESSAGES)
    except SDKError as e:
        assert e.status_code == 401, e.status_code
    else:
        raise AssertionError("no error")


failed = [n for n, e in results if e is not None]
print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)

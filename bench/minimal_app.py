"""The baseline for bench/widget.py: the least a Flask app can do per request.

One route returning a small JSON body, served by gunicorn exactly like the real app,
so the difference between the two is what Donation Drive adds per request.
"""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping():
    return jsonify(ok=True, service="minimal")

# Jupyter Server settings for the app (notebooks/app.ipynb in Voila): binder/postBuild installs this file on
# Binder, and tools/lab.py hands it to the servers it starts.

# The page first, then each cell's output as its cell finishes: the app's title and explanations show within
# 2 s and the playground's controls ~4 s later, instead of a spinner until the whole notebook has run.
c.VoilaConfiguration.progressive_rendering = True  # noqa: F821 - `c` is the config object Jupyter provides


# Voila's page ends its kernel when its tab closes, with a POST that must carry the `_xsrf` cookie; inside a
# Jupyter server nothing on Voila's page sets that cookie, so the POST was refused (403) and the kernel, with
# PyTorch and MNIST in it (~1 GB), stayed until the server stopped (voila-dashboards/voila#1458). Reading
# the request's xsrf_token before the page is sent sets the cookie.
def set_xsrf_cookie(handler, notebook, cwd):
    """Voila's prelaunch hook: give the page its `_xsrf` cookie; the notebook is left as it is."""
    handler.xsrf_token  # noqa: B018 - tornado sets the cookie when the token is first read


c.VoilaConfiguration.prelaunch_hook = set_xsrf_cookie  # noqa: F821

"""pytest set-up shared by tests/ and the nbval run over notebooks/."""

import nbval.plugin

# nbval waits only 5 s for each message from the kernel after a cell has run. On a shared 2-core
# machine a stall of 10-60 s happens now and then (see README), and a notebook that trained fine
# then fails with "Timeout of 5 seconds exceeded waiting for output". Wait up to 2 minutes instead;
# a cell that really hangs still hits nbval's own cell timeout.
_nbval_cell_init = nbval.plugin.IPyNbCell.__init__


def _patient_cell_init(self, *args, **kwargs):
    _nbval_cell_init(self, *args, **kwargs)
    self.output_timeout = 120


nbval.plugin.IPyNbCell.__init__ = _patient_cell_init

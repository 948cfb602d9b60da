"""Preloaded by the forkserver of local batch workers (``set_forkserver_preload``); nothing
else imports it.

Importing it loads casim into the forkserver once (workers fork from it, fast) and makes the
forkserver die with the casim process that started it, so a ``kill -9`` of ``casim batch``
or ``casim calibrate`` leaves no forkserver, no workers and no resource tracker behind.
"""

from sim.io.workers import die_with_parent

die_with_parent()

"""The plugin contract: every hook bindreg calls, in one place.

A plugin is a module named by an entry point in the ``bindreg`` group; it
implements any of these hooks with ``@bindreg.hookimpl``. Each hook receives a
``register`` callback and calls it once per item it contributes. The host checks
each item, refuses a name that another plugin already registered, and remembers
which plugin supplied it (``bindreg plugins`` shows that). Built-in plugins are
declared as entry points exactly like third-party ones.

The item types (``Architecture``, ``Baseline``, ``Task``, ``DatasetSource``,
``SequenceFormat``, ``Executor``, ``Engine``, ``PublishTarget``, ``Command``) are
defined in ``bindreg.catalog``; docs/plugins.md documents every hook below
(``tests/test_docs.py`` checks it).
"""

import pluggy

hookspec = pluggy.HookspecMarker("bindreg")
hookimpl = pluggy.HookimplMarker("bindreg")


@hookspec
def register_architectures(register):
    """Called once at start-up; call ``register(Architecture(...))`` for each network.

    An architecture is a name, a one-line description, a builder
    ``build(hparams: dict) -> mxnet.gluon.HybridBlock`` mapping one-hot DNA
    ``(N, 4, 1, L)`` to two logits ``(N, 2)``, and its hyper-parameter space.

    By default it is trained by the paper's protocol (AdaDelta over ``space``, 30 settings
    searched, 5,000 minibatches of final training). ``Architecture(recipe=Recipe(...))``
    declares its own: a Gluon optimiser and its parameters, epochs with a learning-rate decay
    on plateau and early stopping on validation AUROC, how many settings of ``space`` to try,
    fresh shuffled negatives every epoch (how many per positive, and random shifts of the
    positives), an ensemble of seeds (optionally refitted on training + validation), a gkm-SVM
    as a further member weighted on validation (``gkm_member``; the networks join it by their
    log-odds or P(bound), ``member_scale``), a moving average of the
    weights, and a fused training graph (``bindreg.train.recipe``; the fields are listed in
    docs/plugins.md).
    ``recommended=True`` makes it the model ``bindreg run`` trains without ``--model``.
    ``same_as=lambda length: "other" or None`` says where it computes exactly another registered
    model's function (same parameters and initialisation), so ``bindreg compare`` trains one run
    for both.
    """


@hookspec
def register_tasks(register):
    """Called once at start-up; call ``register(Task(...))`` for each learning task.

    A task turns the sequences read from an input into labelled examples, for
    example by adding dinucleotide-shuffled negatives (motif discovery). A task
    that can be built from a genome and peak calls (``bindreg data prepare``)
    also gives ``from_genome(GenomeInputs, rng) -> DatasetInputs`` (occupancy:
    FIMO motif instances labelled by peak overlap, negatives matched on GC and
    motif score).
    """


@hookspec
def register_datasets(register):
    """Called once at start-up; call ``register(DatasetSource(...))`` for each named dataset.

    A named dataset can be used on the command line by name instead of a path,
    for example a benchmark that the plugin generates itself.
    """


@hookspec
def register_formats(register):
    """Called once at start-up; call ``register(SequenceFormat(...))`` for each input format.

    A format reads a file of labelled or unlabelled sequences (FASTA, Zeng
    ``.data``, DeepBind ``.seq``...) into a ``SequenceSet``.
    """


@hookspec
def register_baselines(register):
    """Called once at start-up; call ``register(Baseline(...))`` for each non-network model.

    A baseline (gkm-SVM, k-mer logistic regression, a PWM scanner...) is run by
    ``bindreg run --model NAME`` and ``bindreg compare`` like an architecture, and its
    run directory has the same shape. Its name must not clash with an architecture's.
    """


@hookspec
def register_executors(register):
    """Called once at start-up; call ``register(Executor(...))`` for each place compare jobs can run.

    Built-in: ``serial`` (one after another here) and ``dask`` (Dask distributed).
    """


@hookspec
def register_engines(register):
    """Called once at start-up; call ``register(Engine(...))`` for each way of scoring an exported model.

    Built-in: ``mxnet`` and ``onnxruntime``. An engine scores fixed-length windows
    ``(n, 4, 1, L)`` to logits ``(n, 2)``; ``bindreg predict``, ``score-variants`` and
    ``mutagenesis`` take it with ``--engine NAME``.
    """


@hookspec
def register_publish_targets(register):
    """Called once at start-up; call ``register(PublishTarget(...))`` for each place bundles can go.

    Built-in: ``dvc`` (a DVC artifact with a GTO version tag). ``bindreg publish --target NAME``.
    """


@hookspec
def register_commands(register):
    """Called when a command line names a command bindreg does not have; call ``register(Command(...))``.

    A command's name must not be one of bindreg's own commands.
    """

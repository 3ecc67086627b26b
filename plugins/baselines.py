"""The paper's baselines, registered like any third-party model: gkm-SVM, k-mer logistic
regression and a JASPAR PWM scanner (logic in ``bindreg.baselines``)."""

import bindreg
from bindreg.baselines import fit_gkmsvm, fit_kmer_logistic, fit_pwm
from bindreg.catalog import Baseline


@bindreg.hookimpl
def register_baselines(register):
    register(Baseline("gkmsvm", "gkm-SVM (gkmsvm-lite defaults: l=11 k=7 d=3, both strands), at most 5,000 "
                                "positives sampled, as in the paper (options max_positives; solver=nystrom, n_components "
                                "for a faster approximate fit; with it, negatives=K per positive, the extra ones "
                                "dinucleotide shuffles)", fit_gkmsvm))
    register(Baseline("kmer_lr", "Logistic regression on 5-mer counts over both strands (option k)",
                      fit_kmer_logistic))
    register(Baseline("pwm", "Best match of the TF's JASPAR motif (chosen by the dataset name; options tf, "
                             "matrix_id), both strands, no training", fit_pwm))

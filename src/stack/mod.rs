//! Treiber stacks with tagged heads against ABA.

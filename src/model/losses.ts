// The losses a network may train with.

/** 'nll': a linear output layer, log-softmax and the mean negative log-likelihood (the MNIST MLP).
 * 'squared': a sigmoid output layer and the squared error against one-hot targets, summed over
 * the classes and averaged over the rows (the notebook's toy network, one row at a time). */
export const LOSSES = ['nll', 'squared'] as const;
export type LossKind = (typeof LOSSES)[number];

// Adam as every engine of the training benchmark runs it.
export const ADAM = { lr: 1e-4, betas: [0.9, 0.999], eps: 1e-8 };

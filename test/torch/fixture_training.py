"""The training loop the PyTorch fixtures share: `steps` steps of `batch` samples in order, NLL of
the network's log-probabilities, loss.backward() then optimizer.step(), from `init`."""
import torch.nn.functional as F


def train(net, init, make_optimizer, x, y, batch, steps, state_of):
    net.load_state_dict(init)
    opt = make_optimizer(net.parameters())
    losses = []
    for s in range(steps):
        xb, yb = x[s * batch:(s + 1) * batch], y[s * batch:(s + 1) * batch]
        opt.zero_grad()
        loss = F.nll_loss(net(xb), yb)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {'losses': losses, 'final': state_of(net.state_dict())}

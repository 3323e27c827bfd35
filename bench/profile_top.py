"""The top of a py-spy profile (``py-spy record --format raw --threads --idle``), as text.

    python3 bench/profile_top.py FILE.txt [--thread orderweb-inbox] [--focus receive] [--top 30]

Keeps the samples of the threads whose name holds ``--thread`` (default: the runner's
inbox threads, ``orderweb-inbox-<db>-<company>``; ``''`` keeps every thread), then
prints per function the share of those samples spent in
it (inclusive) and in it alone (self, i.e. the leaf: waits on PostgreSQL show up as
psycopg2's ``execute``/``commit``). ``--focus`` restricts to the samples under that
function and gives shares relative to it. Idle samples (the worker waiting for the next
order) are counted apart: with ``--idle`` recorded, busy % is the worker's utilisation.
"""
import argparse
import collections
import re

FRAME = re.compile(r'^(?P<function>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$')
IDLE = ("_Link._work (", "_Inbox._next_job (")  # leaf: the inbox thread waiting in its queue (C code) for its next job


def short(frame):
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match['file'].split('/')
    where = '/'.join(path[-2:]) if len(path) > 1 else path[0]
    return '%s (%s)' % (match['function'], where)


def load(path, thread):
    stacks = []
    with open(path) as handle:
        for raw_line in handle:
            stack, _sep, count = raw_line.rstrip('\n').rpartition(' ')
            if not stack:
                continue
            name, *frames = stack.split(';')  # "thread (tid): name", then outermost first
            if thread in name:
                stacks.append(([short(frame) for frame in frames] or [name], int(count)))
    return stacks


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('path')
    parser.add_argument('--thread', default='orderweb-inbox', help="keep the threads whose name holds this")
    parser.add_argument('--focus', help="only the samples under this function, shares relative to it")
    parser.add_argument('--top', type=int, default=30)
    args = parser.parse_args()

    stacks = load(args.path, args.thread)
    total = sum(count for _f, count in stacks)
    idle = sum(count for frames, count in stacks if frames[-1].startswith(IDLE))
    if args.focus:
        focused = []
        for frames, count in stacks:
            names = [frame.split(' (')[0] for frame in frames]
            hits = [i for i, name in enumerate(names) if name == args.focus or name.endswith('.' + args.focus)]
            if hits:
                focused.append((frames[hits[0]:], count))
        stacks = focused
    base = sum(count for _f, count in stacks) or 1
    inclusive, leaf = collections.Counter(), collections.Counter()
    for frames, count in stacks:
        for frame in set(frames):
            inclusive[frame] += count
        leaf[frames[-1]] += count
    print("%s: %d samples of the thread (%s), %d idle, busy %.0f %%%s" % (
        args.path, total, args.thread, idle, 100 * (total - idle) / (total or 1),
        "; under %s: %d samples" % (args.focus, base) if args.focus else ""))
    print("%7s %7s  %s" % ('incl %', 'self %', 'function'))
    for frame, count in inclusive.most_common(args.top):
        print("%7.1f %7.1f  %s" % (100 * count / base, 100 * leaf[frame] / base, frame))
    print("\nleaves (where the time is actually spent):")
    for frame, count in leaf.most_common(args.top // 2):
        print("%7.1f  %s" % (100 * count / base, frame))


if __name__ == '__main__':
    main()

from simulator.csms.cli import main

raise SystemExit(main())

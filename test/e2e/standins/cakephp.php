<?php
// e2e stand-in for the CakePHP classes the example's code extends (cakephp/cakephp comes from
// Packagist, which cannot be reached from here): just enough for its tests to load the classes.
declare(strict_types=1);

namespace Cake\Controller {
    class Controller
    {
        /** @var array<string, mixed> */
        protected array $viewVars = [];

        public function set(string $name, mixed $value): void
        {
            $this->viewVars[$name] = $value;
        }
    }
}

namespace Cake\Command {
    class Command
    {
        public const CODE_SUCCESS = 0;
        public const CODE_ERROR = 1;
    }
}

namespace Cake\Console {
    class Arguments
    {
    }

    class ConsoleIo
    {
        public function out(string $message): void
        {
            echo $message, "\n";
        }
    }
}

namespace Cake\ORM {
    class Table
    {
    }
}

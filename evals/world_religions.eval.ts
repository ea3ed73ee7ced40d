import { defineSubject } from '../src/suite.js'

defineSubject('world_religions')
